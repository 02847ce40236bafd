import { Writable } from 'node:stream';
import pino, { stdTimeFunctions } from 'pino';
import { writeFlatLine } from './flat-log-line';

/** A logger configured as LoggingModule's, writing into an array of lines. */
function capturingLogger(level = 'info') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level, formatters: { level: (label: string) => ({ level: label }) }, timestamp: stdTimeFunctions.isoTime }, stream);
  return { logger, lines };
}

const fields = {
  context: 'Request',
  request_id: 'req-1',
  path: '/v1/chat/completions',
  model: 'quote " backslash \\ tab \t café 😀',
  backend: undefined,
  status: 200,
  ttfb_ms: 1.5,
  client_aborted: true,
  upstream_errors: [{ backend: 'ollama', error: 'http_503' }],
};

describe('writeFlatLine', () => {
  it('writes the line pino itself would write for the same fields: same keys, order and values', async () => {
    const { logger, lines } = capturingLogger();
    logger.info(fields, 'request');
    writeFlatLine(logger, 'info', fields, 'request');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(2);
    expect(lines[1].endsWith('}\n')).toBe(true);
    const [byPino, flat] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(flat)).toEqual(Object.keys(byPino));
    expect({ ...flat, time: undefined }).toEqual({ ...byPino, time: undefined });
    expect(flat).toMatchObject({ level: 'info', pid: process.pid, msg: 'request', model: fields.model });
    expect(Number.isNaN(Date.parse(flat.time as string))).toBe(false);
  });

  it("carries a child logger's bindings and the warn level", async () => {
    const { logger, lines } = capturingLogger();
    writeFlatLine(logger.child({ worker: 2 }), 'warn', { status: 502 }, 'request');
    await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', worker: 2, status: 502, msg: 'request' });
  });

  it('writes nothing below the logger level', async () => {
    const { logger, lines } = capturingLogger('warn');
    writeFlatLine(logger, 'info', fields, 'request');
    writeFlatLine(logger, 'warn', {}, 'request');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', msg: 'request' });
  });
});
