import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { answerClientError } from '../../src/http/server.js';
import { capturedLog } from '../helpers/log.js';

// Bytes that Node's HTTP parser refuses never become a request, so the onResponse hook's `request` line is not
// written for them; the answer still carries an X-Request-Id that the caller is told to quote when asking for
// help (docs/api.md "Errors"). That id must be findable in the log.

describe('answers to bytes that are not HTTP', () => {
  it('log one request line with the request id the caller was given', () => {
    const { log, lines } = capturedLog<{ level: number; msg: string; requestId?: string; status?: number }>();
    const socket = new PassThrough();
    let written = '';
    socket.on('data', (d) => {
      written += d.toString('utf8');
    });
    const err = Object.assign(new Error('Parse Error'), { code: 'HPE_INVALID_METHOD' });
    answerClientError(err, socket, log);
    const requestId = /X-Request-Id: (req_\w+)/.exec(written)?.[1];
    expect(written).toMatch(/^HTTP\/1\.1 400 /);
    expect(requestId).toBeDefined();
    expect(lines.filter((l) => l.msg === 'request')).toEqual([
      expect.objectContaining({ level: 30, requestId, status: 400, parseError: 'HPE_INVALID_METHOD' }),
    ]);
  });
});
