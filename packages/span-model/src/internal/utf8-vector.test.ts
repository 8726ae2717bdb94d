import { Dictionary, Int32, makeData, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { dictionaryData, utf8Vectors } from './utf8-vector.ts';

describe('utf8Vectors', () => {
  it('gives each list its own zero-based offsets and bytes', () => {
    const [a, b, c] = utf8Vectors([['', 'ab'], [], ['é', '']]);
    expect(a!.toArray()).toEqual(['', 'ab']);
    expect([...a!.data[0]!.valueOffsets]).toEqual([0, 0, 2]);
    expect(b!.length).toBe(0);
    expect([...b!.data[0]!.valueOffsets]).toEqual([0]);
    expect(c!.toArray()).toEqual(['é', '']);
    expect([...c!.data[0]!.valueOffsets]).toEqual([0, 2, 2]);
    expect([...c!.data[0]!.values]).toEqual([0xc3, 0xa9]);
  });

  it('grows the buffer when multi-byte text comes before ASCII', () => {
    // 9 UTF-16 units → 27 bytes, then 26 ASCII bytes: more than the 35 + 8 bytes sized for ASCII.
    const lists = [['東京大阪名古屋から'], ['abcdefghijklmnopqrstuvwxyz']];
    const [jp, ascii] = utf8Vectors(lists);
    expect(jp!.get(0)).toBe('東京大阪名古屋から');
    expect(ascii!.get(0)).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(jp!.data[0]!.values.length).toBe(27);
  });

  it('matches Arrow’s builder byte for byte, lone surrogates and 4-byte characters included', () => {
    const strings = ['x\uD800', '🚀', 'mixed ascii then ü and 東', '', '\uDC00y'];
    const [ours] = utf8Vectors([strings]);
    const arrow = vectorFromArray(strings, new Utf8()).data[0]!;
    expect(ours!.data[0]!.valueOffsets).toEqual(arrow.valueOffsets.subarray(0, strings.length + 1));
    expect(ours!.data[0]!.values).toEqual(arrow.values.subarray(0, arrow.valueOffsets[strings.length]));
    expect(ours!.toArray()).toEqual(['x\uFFFD', '🚀', 'mixed ascii then ü and 東', '', '\uFFFDy']);
  });

  it('builds the same Data as makeData: non-null, offset 0, empty validity bitmap', () => {
    const [v] = utf8Vectors([['a', 'bc']]);
    const ours = v!.data[0]!;
    const ref = makeData({
      type: new Utf8(),
      length: 2,
      nullCount: 0,
      valueOffsets: Int32Array.of(0, 1, 3),
      data: Uint8Array.of(0x61, 0x62, 0x63),
    });
    for (const d of [ours, ref]) {
      expect([d.offset, d.length, d.nullCount, d.stride, d.nullBitmap?.length, d.typeIds]).toEqual([
        0,
        2,
        0,
        ref.stride,
        0,
        undefined,
      ]);
      expect([...d.valueOffsets]).toEqual([0, 1, 3]);
      expect([...d.values]).toEqual([0x61, 0x62, 0x63]);
    }
    expect(ours.type.typeId).toBe(ref.type.typeId);
    expect(v!.nullCount).toBe(0);
    expect(v!.isValid(1)).toBe(true);
  });

  it('builds dictionary columns as makeData does', () => {
    const [dict] = utf8Vectors([['', 'cart', 'café']]);
    const codes = Int32Array.of(2, 0, 1, 2);
    const ours = dictionaryData(codes, dict!);
    const ref = makeData({
      type: new Dictionary(new Utf8(), new Int32()),
      length: 4,
      nullCount: 0,
      data: codes,
      dictionary: dict!,
    });
    for (const d of [ours, ref]) {
      expect([d.offset, d.length, d.nullCount, d.stride, d.nullBitmap?.length, d.valueOffsets]).toEqual([
        0,
        4,
        0,
        ref.stride,
        0,
        undefined,
      ]);
      expect(d.values).toBe(codes);
      expect(d.dictionary).toBe(dict);
      expect(d.type.indices.bitWidth).toBe(32);
    }
    const strings: string[] = [];
    for (let i = 0; i < 4; i++) strings.push(ours.dictionary!.get(ours.values[i]!)!);
    expect(strings).toEqual(['café', '', 'cart', 'café']);
  });
});
