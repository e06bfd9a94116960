import { expect } from 'chai';
import fc from 'fast-check';
import { crc32, portableCrc32 } from '../../src/client/spool/crc32.js';
import { HEADER_BYTES } from '../../src/client/spool/header.js';
import { decodePayload, FRAME_BYTES } from '../../src/client/spool/record.js';
import { scanChunk } from '../../src/client/spool/scan.js';
import { buildSegment, plainJob } from '../support/spool-files.js';

const jobs = (n: number) => Array.from({ length: n }, (_, i) => plainJob(i, i % 3 === 0 ? 'Ünïcode✓' : 'Spooled'));

describe('Spool records and the segment scanner', () => {
  it('computes the same CRC-32 with the portable table as with node:zlib', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => portableCrc32(bytes) === crc32(bytes)));
    expect(crc32(Buffer.from('123456789'))).to.equal(0xcbf43926); // the CRC-32 check value
  });

  it('reads back every record it framed, fields intact', () => {
    const written = jobs(50);
    const { bytes } = buildSegment(written);
    const scan = scanChunk(bytes.subarray(HEADER_BYTES), HEADER_BYTES, true, 1000);
    expect(scan.damage).to.deep.equal([]);
    expect(scan.next).to.equal(bytes.length);
    expect(scan.records.map((r) => ({ ...r.record, spooledAtMs: undefined }))).to.deep.equal(written.map((job) => ({ ...job, spooledAtMs: undefined })));
  });

  it('never returns a record that was not written, and loses only the records a flipped byte touched', () => {
    const written = jobs(12);
    const { bytes, offsets } = buildSegment(written);
    const ends = [...offsets.slice(1), bytes.length];
    fc.assert(
      fc.property(fc.integer({ min: HEADER_BYTES, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const damaged = Buffer.from(bytes);
        damaged[at]! ^= xor;
        const scan = scanChunk(damaged.subarray(HEADER_BYTES), HEADER_BYTES, true, 1000);
        const hit = offsets.findIndex((offset, i) => at >= offset && at < ends[i]!);
        const found = scan.records.map((r) => r.record.jid);
        const expected = written.filter((_, i) => i !== hit).map((job) => job.jid);
        // CRC-32 catches every single-byte error: exactly the touched record is lost, in place
        return JSON.stringify(found) === JSON.stringify(expected) && scan.damage.length === 1 && scan.damage[0]!.offset === offsets[hit];
      }),
      { numRuns: 500 },
    );
  });

  it('stops before a record cut by the chunk end, unless the chunk ends the segment (then it is torn)', () => {
    const { bytes, offsets } = buildSegment(jobs(3));
    const cut = bytes.subarray(HEADER_BYTES, offsets[2]! + FRAME_BYTES + 3);
    const more = scanChunk(cut, HEADER_BYTES, false, 1000);
    expect(more.records).to.have.length(2);
    expect(more.damage).to.deep.equal([]);
    expect(more.next).to.equal(offsets[2]);
    const torn = scanChunk(cut, HEADER_BYTES, true, 1000);
    expect(torn.records).to.have.length(2);
    expect(torn.damage).to.deep.equal([{ kind: 'torn', offset: offsets[2], bytes: FRAME_BYTES + 3 }]);
  });

  it('rejects a payload whose CRC matches but whose shape is not a record', () => {
    expect(decodePayload(Buffer.from([0x93, 0x01, 0x02, 0x03]))).to.equal(undefined);
    expect(decodePayload(Buffer.from([0xc1]))).to.equal(undefined);
  });
});
