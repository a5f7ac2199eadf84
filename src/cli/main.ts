#!/usr/bin/env node
/**
 * The `otel-workspace-metrics` command (package.json "bin"): one binary,
 * subcommands dispatched by name.
 *
 *   otel-workspace-metrics render [...]   the collector's allowlist from the SDK policy
 *   otel-workspace-metrics audit <src>    cardinality audit of a Prometheus exposition
 *   otel-workspace-metrics ops generate   Prometheus rules/alerts and Grafana dashboards
 *
 * Every command parses its arguments with node:util parseArgs.
 */
import { runAudit, AUDIT_USAGE } from './audit';
import { runRender, RENDER_USAGE } from './render';
import { runOps, OPS_USAGE } from './ops';
import { EXIT, UsageError, processIo, type CliIo } from './io';

type Command = (argv: string[], io: CliIo) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string; usage: string }> = {
  render: { run: runRender, summary: "print the collector's workspace allowlist from the policy (env, file); --check FILE for CI", usage: RENDER_USAGE },
  audit: { run: runAudit, summary: 'cardinality audit of a Prometheus /metrics endpoint or file', usage: AUDIT_USAGE },
  ops: { run: runOps, summary: 'ops generate: Prometheus rules, alerts and Grafana dashboards (--config for your options)', usage: OPS_USAGE },
};

export const USAGE = `usage: otel-workspace-metrics <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(8)} ${command.summary}`)
  .join('\n')}

otel-workspace-metrics <command> --help shows a command's options.
`;

/** Runs a command line (without the node and script arguments); resolves with the exit code. */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  // Own properties only: `constructor` or `__proto__` are not commands.
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr(`otel-workspace-metrics: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`otel-workspace-metrics ${name}: ${error.message}\n\n${command.usage}`);
      return EXIT.usage;
    }
    io.stderr(`otel-workspace-metrics ${name}: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
