// Text rules for error messages: which words mark a timeout, an unreachable dependency or an application exception.
// Evaluated once per distinct dictionary value, never per span.

/** Timeouts: status messages, `error.type`, exception types and messages across languages and RPC stacks. */
export const TIMEOUT_TEXT: RegExp =
  /time[-_ ]?d?[-_ ]?out|deadline|etimedout|esockettimedout|took too long|request timeout|gateway timeout/i;

/** The dependency could not be reached: refused, reset, unresolvable, no healthy upstream. */
export const UNAVAILABLE_TEXT: RegExp =
  /connection refused|econnrefused|connect(ion)?exception|connection reset|econnreset|connection aborted|econnaborted|no route to host|ehostunreach|enetunreach|enotfound|eai_again|no such host|name or service not known|unknownhostexception|failed to connect|could not connect|unable to connect|cannot connect|dial tcp|no healthy upstream|upstream connect error|circuit ?breaker|broken pipe|^unavailable$|^14$/i;

/** Texts that carry no information about the cause: status-code echoes and placeholders. */
const UNINFORMATIVE_TEXT: RegExp =
  /^(\s*|_other|error|exception|true|false|unknown|internal( server)? error|\d{1,3}|status code \d{3})$/i;
/** gRPC code names and similar constants ("INTERNAL", "UNKNOWN"): a status, not an application message. */
const CONSTANT_TEXT: RegExp = /^[A-Z_]+$/;

/**
 * Exception classes of languages, frameworks and drivers: a bug or a platform failure, not a business rule.
 * Matched on the class name (the part before ':' in a message), with or without its package.
 */
const GENERIC_EXCEPTION: RegExp =
  /^(?:(?:java|javax|jakarta|kotlin|scala|sun|com\.sun|org\.springframework|org\.hibernate|org\.apache|io\.grpc|io\.netty|reactor|okhttp3|feign|System|Microsoft|builtins|psycopg2|sqlalchemy|django|flask|werkzeug|requests|urllib3|grpc)\.[\w.$]*|)(?:\w+\.)*(?:RuntimeException|Exception|Error|Throwable|Panic|panic|NullPointerException|NullReferenceException|IllegalStateException|IllegalArgumentException|IndexOutOfBoundsException|ArrayIndexOutOfBoundsException|ArithmeticException|ClassCastException|UnsupportedOperationException|ConcurrentModificationException|NumberFormatException|OutOfMemoryError|StackOverflowError|InvalidOperationException|ArgumentException|ArgumentNullException|TypeError|ReferenceError|RangeError|SyntaxError|KeyError|ValueError|AttributeError|IndexError|ZeroDivisionError|AssertionError|RecursionError|InternalServerError|ServerError|HttpServerErrorException|HttpClientErrorException|ResponseStatusException|WebClientResponseException|StatusRuntimeException|SQLException|PSQLException|QueryFailedError|DataAccessException|ReplyError|RedisError|MongoError|OperationalError|DatabaseError|IntegrityError)$/;

/** Words of business rules: what a domain exception or message says when the request itself cannot be served. */
const BUSINESS_WORDS: RegExp =
  /insufficient|declined|out of stock|not enough|no (seats|stock|inventory)|sold out|invalid (card|coupon|order|address|payment|account|voucher)|validation|not allowed|limit exceeded|quota exceeded|already (exists|paid|booked|cancelled|canceled)|expired|fraud|blocked account|unpaid|overdraft|rejected by/i;

/** Whether a text names an application-level failure (a domain exception or message), not a platform one. */
export function isApplicationText(text: string): boolean {
  if (!text || UNINFORMATIVE_TEXT.test(text) || CONSTANT_TEXT.test(text)) return false;
  if (TIMEOUT_TEXT.test(text) || UNAVAILABLE_TEXT.test(text)) return false;
  if (BUSINESS_WORDS.test(text)) return true;
  const head = text.split(/[:\s(]/, 1)[0]!;
  // A custom exception class (`CardDeclinedException`, `com.shop.OutOfStockError`) is the application's own.
  return /[A-Za-z](Exception|Error|Fault)$/.test(head) && !GENERIC_EXCEPTION.test(head);
}

/** What a text says about an error, as bits. */
export const TextFlag = { Timeout: 1, Unavailable: 2, Application: 4 } as const;

/** Flags per dictionary code of a column: computed once per distinct value. */
export function textFlags(values: readonly string[]): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!v) continue;
    let f = 0;
    if (TIMEOUT_TEXT.test(v)) f |= TextFlag.Timeout;
    if (UNAVAILABLE_TEXT.test(v)) f |= TextFlag.Unavailable;
    if (isApplicationText(v)) f |= TextFlag.Application;
    out[i] = f;
  }
  return out;
}
