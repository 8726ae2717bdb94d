// JSON parsing with useful errors: JSON.parse for speed, and on failure a small scanner that finds where and why the
// text is broken (Node's own messages often carry no position).
import { IngestError, IngestErrorCode } from '../ingest-error.ts';

interface SyntaxProblem {
  offset: number;
  truncated: boolean;
  message: string;
}

class Fail {
  offset: number;
  message: string;
  constructor(offset: number, message: string) {
    this.offset = offset;
    this.message = message;
  }
}

function describeChar(text: string, i: number): string {
  const c = text[i]!;
  return c === '\n' ? 'a line break' : c === '\r' ? 'a carriage return' : `'${c}'`;
}

/** Finds the first syntax error of `text[start..end)` as one JSON value; undefined when it is valid. */
export function locateJsonError(text: string, start: number = 0, end: number = text.length): SyntaxProblem | undefined {
  let i = start;
  const ws = (): void => {
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
  };
  const expectMore = (what: string): void => {
    if (i >= end) throw new Fail(end, `input ends where ${what} was expected`);
  };
  const str = (): void => {
    i++;
    for (;;) {
      if (i >= end) throw new Fail(end, 'input ends inside a string');
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c === 92) {
        i++;
        if (i >= end) throw new Fail(end, 'input ends inside a string');
        const e = text[i]!;
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (i + k >= end) throw new Fail(end, 'input ends inside a string');
            if (!/[0-9a-fA-F]/.test(text[i + k]!)) throw new Fail(i + k, 'invalid \\u escape in a string');
          }
          i += 5;
        } else if ('"\\/bfnrt'.includes(e)) i++;
        else throw new Fail(i, `invalid escape '\\${e}' in a string`);
      } else if (c < 32) throw new Fail(i, 'unescaped control character in a string');
      else i++;
    }
  };
  const num = (): void => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, Math.min(end, i + 400)));
    if (!m || m[0] === '' || m[0] === '-') {
      if (i + 1 >= end) throw new Fail(end, 'input ends inside a number');
      throw new Fail(i, `unexpected ${describeChar(text, i)}`);
    }
    i += m[0].length;
    if (i >= end && /[.eE+-]$/.test(m[0])) throw new Fail(end, 'input ends inside a number');
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++) {
      if (i + k >= end) throw new Fail(end, `input ends inside '${word}'`);
      if (text[i + k] !== word[k]) throw new Fail(i, `unexpected ${describeChar(text, i)}`);
    }
    i += word.length;
  };
  const value = (depth: number): void => {
    ws();
    expectMore('a value');
    const c = text[i]!;
    if (c === '{') {
      i++;
      ws();
      expectMore("a property name or '}'");
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        expectMore('a property name');
        if (text[i] !== '"')
          throw new Fail(i, `expected a double-quoted property name, found ${describeChar(text, i)}`);
        str();
        ws();
        expectMore("':'");
        if (text[i] !== ':') throw new Fail(i, `expected ':' after a property name, found ${describeChar(text, i)}`);
        i++;
        value(depth + 1);
        ws();
        expectMore("',' or '}'");
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        throw new Fail(i, `expected ',' or '}' in an object, found ${describeChar(text, i)}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      expectMore("a value or ']'");
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        expectMore("',' or ']'");
        if (text[i] === ',') {
          i++;
          ws();
          if (text[i] === ']') throw new Fail(i, "unexpected ']' after ',' (trailing comma)");
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        throw new Fail(i, `expected ',' or ']' in an array, found ${describeChar(text, i)}`);
      }
    }
    if (c === '"') str();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c >= '0' && c <= '9')) num();
    else throw new Fail(i, `unexpected ${describeChar(text, i)}`);
  };
  try {
    value(0);
    ws();
    if (i < end)
      return {
        offset: i,
        truncated: false,
        message: `unexpected data after the JSON value (${describeChar(text, i)})`,
      };
    return undefined;
  } catch (e) {
    if (e instanceof Fail) return { offset: e.offset, truncated: e.offset >= end, message: e.message };
    throw e;
  }
}

/** `line L column C (byte B)` of a character offset (1-based line and column). */
export function textPosition(text: string, offset: number, lineBase: number = 1): string {
  let line = lineBase;
  let lineStart = 0;
  for (let k = text.indexOf('\n'); k >= 0 && k < offset; k = text.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  const byte = Buffer.byteLength(text.slice(0, offset));
  return `line ${line} column ${offset - lineStart + 1} (byte ${byte})`;
}

/** The JSON error of `text` as an IngestError. */
export function jsonSyntaxError(text: string, file: string, lineBase: number = 1): IngestError {
  const p = locateJsonError(text) ?? { offset: 0, truncated: false, message: 'not valid JSON' };
  return new IngestError({
    code: p.truncated ? IngestErrorCode.TruncatedJson : IngestErrorCode.InvalidJson,
    file,
    position: textPosition(text, p.offset, lineBase),
    detail: p.truncated ? `truncated JSON: ${p.message}` : `invalid JSON: ${p.message}`,
  });
}

/** Parses JSON; throws an IngestError naming file and position when the text is not valid JSON. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw jsonSyntaxError(text, file);
  }
}

/** Text of an input, UTF-8 decoded (a leading byte-order mark removed). */
export function inputText(input: Uint8Array | string): string {
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A short description of a JSON value's type for error messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  return `a ${typeof v} (${String(v)})`;
}
