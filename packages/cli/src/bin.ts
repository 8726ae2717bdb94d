// The `aiops` executable.
import { main } from './cli.ts';

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});
const code = await main(process.argv.slice(2));
process.exitCode = code;
