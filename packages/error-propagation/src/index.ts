// @aiops/error-propagation: error chains, error types and root-cause services of failed traces.
export {
  type ClassifyErrorOptions,
  classifyError,
  type ErrorClassification,
  ErrorType,
} from './classify-error.ts';
export {
  type ChainKind,
  type ChainSpan,
  type ErrorChain,
  type ErrorPropagationOptions,
  type ErrorPropagationResult,
  errorPropagation,
  type Hypothesis,
  type PropagationPath,
  type RootCause,
  type TraceErrors,
} from './error-propagation.ts';
export { failedSpans } from './failed-spans.ts';
