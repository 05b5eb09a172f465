import { buildCli } from './program.js';

// `npm run cli -- <command>`: the commands are in program.ts, so tests can also run them in-process.

await buildCli().parseAsync(process.argv);
