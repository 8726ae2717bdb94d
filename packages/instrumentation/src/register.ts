// Side-effect entry: `node --import @aiops/instrumentation/register app.js` instruments an app without code changes.
// Every setting comes from the standard OTEL_* environment variables (see the README).
import { esmHookReady, start } from './start.ts';

start();
// The loader must know which modules to patch before the app's own imports run.
await esmHookReady();
