/** What a subcommand may touch: injected, so tests run commands in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Reads standard input (for `audit -`). */
  stdin(): Promise<string>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** Exit codes shared by the subcommands. */
export const EXIT = {
  ok: 0,
  /** A check found a difference, or the input could not be read. */
  failed: 1,
  /** Bad command line. */
  usage: 2,
} as const;

export class UsageError extends Error {}
