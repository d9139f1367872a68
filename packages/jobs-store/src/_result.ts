import { JobInputError } from './errors.js';
import { toJsonText, parseJson } from './_json.js';
import { describe } from './_validate.js';
import type { BytesResult, JobResult } from './job-types.js';

// A MIME type: type/subtype and optional parameters, printable ASCII, no line breaks.
const CONTENT_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;[ -~]*)?$/;

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function isBytesResult(value: unknown): value is BytesResult {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  return keys.length === 2 && keys.includes('contentType') && keys.includes('data') && isBytes((value as BytesResult).data);
}

/**
 * The stored form of a result: 'j' + JSON, or 'b' + content type + '\n' + base64 of the bytes (vars
 * are JSON strings, which cannot carry raw bytes). Bare bytes are `application/octet-stream`.
 */
export function encodeResult(result: unknown, maxBytes: number): string {
  if (isBytes(result)) return encodeBytes('application/octet-stream', result, maxBytes);
  if (isBytesResult(result)) {
    const { contentType } = result;
    if (typeof contentType !== 'string' || contentType.length > 200 || !CONTENT_TYPE.test(contentType)) {
      throw new JobInputError('result.contentType', `must be a MIME type such as image/png (received ${describe(contentType)})`);
    }
    return encodeBytes(contentType, result.data, maxBytes);
  }
  return `j${toJsonText('result', result === undefined ? null : result, maxBytes, 'maxResultBytes')}`;
}

function encodeBytes(contentType: string, data: Uint8Array, maxBytes: number): string {
  if (data.byteLength > maxBytes) {
    throw new JobInputError('result', `is ${data.byteLength} bytes, over the limit of ${maxBytes} bytes (maxResultBytes)`);
  }
  return `b${contentType}\n${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}`;
}

export function decodeResult(text: string): JobResult {
  if (text.startsWith('b')) {
    const newline = text.indexOf('\n');
    return { kind: 'bytes', contentType: text.slice(1, newline), data: Buffer.from(text.slice(newline + 1), 'base64') };
  }
  return { kind: 'json', value: parseJson(text.slice(1)) };
}
