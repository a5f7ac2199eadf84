/**
 * Label tuple → cells, without building or hashing a key per recording.
 *
 * The declared label values are looked up level by level in nested Maps
 * (one `Map.get` per declared key; string values, the usual case, are their
 * own keys). Grouping is exactly the SDK's: it hashes
 * `JSON.stringify([[key, value], ...])` of the declared keys present, so
 *   - a missing (undefined) value and a present one differ,
 *   - `5` and `"5"` differ, `true` and `"true"` differ,
 *   - `null`, `NaN`, `±Infinity`, functions and symbols all stringify to `null`: one group,
 *   - arrays (and objects) group by their JSON text.
 * A cell's exported attributes are those of the recording that created it
 * (`pickDeclared` of src/policy/attributes-processors.ts, the key-allowlist
 * view processor's output), as the SDK keeps the first attribute object of a series.
 */
import type { Attributes } from '@opentelemetry/api';
import type { Cell } from './cells';

const MISSING = Symbol('missing');
const JSON_NULL = Symbol('null');
const COMPLEX = Symbol('complex');

type Level = Map<unknown, unknown>;

export class Tuple<C extends Cell> {
  /** The baseline cell (undefined until the baseline stream had room for it). */
  base: C | undefined = undefined;
  /** Workspace-stream cells by resolved workspace value. */
  readonly ws = new Map<string, C>();
}

/** The Map key of one attribute value at one level (undefined: look in the COMPLEX sub-map by JSON). */
function primitiveKey(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : JSON_NULL;
    case 'undefined':
      return MISSING;
    case 'function':
    case 'symbol':
      return JSON_NULL;
    // Stryker disable next-line ConditionalExpression: equivalent, without the case a bigint reaches JSON.stringify in create() and throws the same TypeError
    case 'bigint':
      // JSON.stringify throws on a bigint: so does the SDK's attribute hashing.
      return JSON.stringify(value);
    default:
      return value === null ? JSON_NULL : undefined;
  }
}

export class TupleIndex<C extends Cell> {
  private readonly root: Level = new Map();
  private single: Tuple<C> | undefined;

  constructor(readonly keys: readonly string[]) {}

  /** The tuple of `attributes`' declared values, if it exists. Hot path. */
  find(attributes: Attributes): Tuple<C> | undefined {
    const keys = this.keys;
    const n = keys.length;
    if (n === 0) return this.single;
    let node: Level | undefined = this.root;
    for (let i = 0; i < n - 1; i++) {
      const value = attributes[keys[i]!];
      node = (typeof value === 'string' ? node.get(value) : this.childSlow(node, value)) as Level | undefined;
      if (node === undefined) return undefined;
    }
    const value = attributes[keys[n - 1]!];
    return (typeof value === 'string' ? node.get(value) : this.childSlow(node, value)) as Tuple<C> | undefined;
  }

  /** Create the tuple of `attributes` (after `find` returned undefined). */
  create(attributes: Attributes): Tuple<C> {
    const tuple = new Tuple<C>();
    const keys = this.keys;
    const n = keys.length;
    if (n === 0) return (this.single = tuple);
    let node = this.root;
    for (let i = 0; i < n; i++) {
      const value = attributes[keys[i]!];
      let map = node;
      let key = primitiveKey(value);
      if (key === undefined) {
        map = node.get(COMPLEX) as Level | undefined ?? new Map();
        node.set(COMPLEX, map);
        key = JSON.stringify(value);
      }
      if (i === n - 1) {
        map.set(key, tuple);
      } else {
        let next = map.get(key) as Level | undefined;
        if (next === undefined) map.set(key, (next = new Map()));
        node = next;
      }
    }
    return tuple;
  }

  private childSlow(node: Level, value: unknown): unknown {
    const key = primitiveKey(value);
    if (key !== undefined) return node.get(key);
    return (node.get(COMPLEX) as Level | undefined)?.get(JSON.stringify(value));
  }
}
