// @aiops/viz: Self-contained interactive HTML and terminal renderings of traces.
export { renderWaterfallText, type WaterfallTextOptions } from './render-waterfall-text.ts';
