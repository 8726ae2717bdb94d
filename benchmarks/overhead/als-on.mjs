// Enables AsyncLocalStorage (its async_hooks init hook on Node 20) with one constant store, nothing else.
import { AsyncLocalStorage } from 'node:async_hooks';

const als = new AsyncLocalStorage();
als.enterWith({ on: true });
globalThis.__alsProbe = als;
