// @aiops/cli: The aiops command line.
export {};
