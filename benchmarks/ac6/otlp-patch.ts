// Rewrites pre-encoded OTLP protobuf requests for another loop of --fast: every trace id (of spans and links) XOR a
// loop key, every time (span start/end, event time) shifted. The offsets are found once by walking the message
// (ExportTraceServiceRequest → ResourceSpans(1) → ScopeSpans(2) → Span(2) → trace_id(1), start(7), end(8),
// Event(11) → time(1), Link(13) → trace_id(1)), so a loop costs a copy and a few writes per span.

/** Offsets of the fields to rewrite in one request. */
export interface PatchPlan {
  /** Byte offsets of 16-byte trace ids. */
  readonly traceIds: Int32Array;
  /** Byte offsets of fixed64 nanosecond times. */
  readonly times: Int32Array;
}

function varint(buf: Uint8Array, pos: { p: number }): number {
  let shift = 0;
  let out = 0;
  for (;;) {
    const b = buf[pos.p++]!;
    out += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return out;
    shift += 7;
  }
}

/** Walks `buf[start, end)` calling `onField(field, wireType, valueStart, valueEnd)` for each field. */
function fields(
  buf: Uint8Array,
  start: number,
  end: number,
  onField: (field: number, wire: number, from: number, to: number) => void,
): void {
  const pos = { p: start };
  while (pos.p < end) {
    const tag = varint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let from = pos.p;
    let to: number;
    if (wire === 0) {
      varint(buf, pos);
      to = pos.p;
    } else if (wire === 1) to = from + 8;
    else if (wire === 5) to = from + 4;
    else if (wire === 2) {
      const len = varint(buf, pos);
      from = pos.p;
      to = from + len;
    } else throw new Error(`otlp-patch: unsupported wire type ${wire} at byte ${from}`);
    pos.p = to;
    onField(field, wire, from, to);
  }
}

/** Finds the trace ids and times of an `ExportTraceServiceRequest`. */
export function patchPlan(buf: Uint8Array): PatchPlan {
  const traceIds: number[] = [];
  const times: number[] = [];
  fields(buf, 0, buf.length, (f, w, a, b) => {
    if (f !== 1 || w !== 2) return;
    fields(buf, a, b, (f2, w2, a2, b2) => {
      if (f2 !== 2 || w2 !== 2) return;
      fields(buf, a2, b2, (f3, w3, a3, b3) => {
        if (f3 !== 2 || w3 !== 2) return;
        fields(buf, a3, b3, (g, gw, x, y) => {
          if (g === 1 && gw === 2 && y - x === 16) traceIds.push(x);
          else if ((g === 7 || g === 8) && gw === 1) times.push(x);
          else if (g === 11 && gw === 2)
            fields(buf, x, y, (e, ew, ex) => {
              if (e === 1 && ew === 1) times.push(ex);
            });
          else if (g === 13 && gw === 2)
            fields(buf, x, y, (l, lw, lx, ly) => {
              if (l === 1 && lw === 2 && ly - lx === 16) traceIds.push(lx);
            });
        });
      });
    });
  });
  return { traceIds: Int32Array.from(traceIds), times: Int32Array.from(times) };
}

/**
 * A copy of `pristine` for loop `loop`: trace ids XOR the loop number (bytes 8..11, so loops never collide), times
 * plus `shiftNs`.
 */
export function patchedCopy(pristine: Buffer, plan: PatchPlan, loop: number, shiftNs: bigint): Buffer {
  const out = Buffer.from(pristine);
  const k0 = (loop >>> 24) & 0xff;
  const k1 = (loop >>> 16) & 0xff;
  const k2 = (loop >>> 8) & 0xff;
  const k3 = loop & 0xff;
  for (const o of plan.traceIds) {
    out[o + 8] ^= k0;
    out[o + 9] ^= k1;
    out[o + 10] ^= k2;
    out[o + 11] ^= k3;
  }
  if (shiftNs !== 0n) {
    for (const o of plan.times) out.writeBigUInt64LE(out.readBigUInt64LE(o) + shiftNs, o);
  }
  return out;
}
