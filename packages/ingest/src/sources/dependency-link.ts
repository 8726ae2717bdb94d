// DependencyLink: one caller → callee service edge as the Jaeger and Zipkin dependency APIs report it.

/** One service dependency as reported by a backend's dependencies API. */
export interface DependencyLink {
  /** Calling service. */
  readonly parent: string;
  /** Called service. */
  readonly child: string;
  /** Calls in the window. */
  readonly callCount: number;
  /** Failed calls (Zipkin reports them; Jaeger does not: 0). */
  readonly errorCount: number;
}
