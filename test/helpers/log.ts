import { createLogger, type Logger } from '../../src/lib/logger.js';

/** A logger at `info` whose JSON lines the test reads back, parsed, in order. */
export function capturedLog<Line extends { level: number; msg: string }>(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const log = createLogger('info', {
    write: (chunk: string) => {
      for (const line of chunk.split('\n')) if (line) lines.push(JSON.parse(line));
    },
  });
  return { log, lines };
}
