/**
 * A connection of the embedded endpoint as the HTTP server sees it: a Duplex
 * over the TCP (or TLS) socket that hands the HTTP parser at most a small slice
 * of the client's bytes per turn of the event loop, and none at all while the
 * connection already has `maxPending` requests waiting for their response.
 *
 * Why: node:http parses every pipelined request of a received chunk at once
 * (64 KiB is about 1,400 minimal GETs), builds a request and a response for
 * each, and aborts them all, each with an error and its stack, when the
 * connection closes; four such connections held the host's event loop for a
 * quarter of a second of CPU. Gated, a client that pipelines without reading
 * the answers gets a few requests parsed; the rest of its bytes stay in the
 * kernel (TCP backpressure) until it reads, or until the idle timeout closes
 * it. Injecting a Duplex through the server's 'connection' event is the
 * documented way to hand node:http a connection.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Bytes handed to the HTTP parser per turn of the event loop: a scrape request is about 200. */
const SLICE_BYTES = 1024;

export class GatedConnection extends Duplex {
  /** Requests parsed whose response has not finished. */
  private waiting = 0;
  private readonly held: Buffer[] = [];
  private scheduled = false;
  private ended = false;

  constructor(
    private readonly inner: Socket | TLSSocket,
    private readonly maxPending: number,
  ) {
    super({ allowHalfOpen: false });
    inner.on('data', (chunk: Buffer) => {
      this.held.push(chunk);
      inner.pause(); // the rest waits in the kernel until the parser had this
      this.schedule();
    });
    inner.on('end', () => {
      this.ended = true;
      this.schedule();
    });
    inner.on('timeout', () => this.emit('timeout'));
    inner.on('error', (error: Error) => this.destroy(error));
    inner.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.inner.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.inner.remotePort;
  }

  get localAddress(): string | undefined {
    return this.inner.localAddress;
  }

  get localPort(): number | undefined {
    return this.inner.localPort;
  }

  get encrypted(): boolean {
    return (this.inner as TLSSocket).encrypted === true;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.inner.setTimeout(ms);
    if (callback) this.once('timeout', callback);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.inner.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.inner.setKeepAlive(enable, initialDelay);
    return this;
  }

  /** What node:http calls after the last response of a connection (as net.Socket#destroySoon does). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** A request of this connection was parsed; `done` when its response is over. */
  requestStarted(): () => void {
    this.waiting++;
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      this.waiting--;
      this.schedule();
    };
  }

  private schedule(): void {
    if (this.scheduled || this.destroyed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.feed();
    });
  }

  private feed(): void {
    if (this.destroyed || this.waiting >= this.maxPending) return; // resumed by a finished response
    if (this.held.length === 0) {
      if (this.ended) this.push(null);
      else this.inner.resume();
      return;
    }
    const first = this.held[0]!;
    const slice = first.subarray(0, SLICE_BYTES);
    if (slice.length === first.length) this.held.shift();
    else this.held[0] = first.subarray(SLICE_BYTES);
    this.push(slice);
    this.schedule();
  }

  override _read(): void {
    // Data is pushed by feed(), slice by slice, as the gate allows.
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.inner.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.held.length = 0;
    this.inner.destroy();
    callback(error);
  }
}
