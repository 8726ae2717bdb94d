// @aiops/error-propagation: Error chains, error types and root-cause services of failed traces.
export {};
