import { CliError, parseCli, USAGE } from './cli';

describe('command line', () => {
  it.each([
    [[], {}],
    [['--config', 'my.json'], { config: 'my.json' }],
    [['--config=my.json'], { config: 'my.json' }],
    [['--port', '8080'], { port: 8080 }],
    [['--port=0'], { port: 0 }],
    [['--host', '127.0.0.1'], { host: '127.0.0.1' }],
    [['--llmrouter-api-key', 'rsk_abc'], { apiKey: 'rsk_abc' }],
    [['--llmrouter-api-key=rsk_a=b'], { apiKey: 'rsk_a=b' }],
    [['--log-level', 'debug'], { logLevel: 'debug' }],
    [['--log-level=warn'], { logLevel: 'warn' }],
    [['--workers', 'auto'], { workers: 'auto' }],
    [['--workers=4'], { workers: 4 }],
    [
      ['--config', 'c.json', '--port=1', '--host', '::1', '--log-level', 'error'],
      { config: 'c.json', port: 1, host: '::1', logLevel: 'error' },
    ],
  ])('parses %j', (argv, options) => {
    expect(parseCli(argv)).toEqual({ kind: 'serve', options });
  });

  it.each([['--help'], ['-h'], ['--port', '1', '--help']])('%j asks for help', (...argv) => {
    expect(parseCli(argv)).toEqual({ kind: 'help' });
    expect(USAGE).toContain('--llmrouter-api-key');
  });

  it.each([
    [['--verbose'], 'unknown option: --verbose (see --help)'],
    [['--verbose=1'], 'unknown option: --verbose (see --help)'],
    [['serve'], 'unknown option: serve (see --help)'],
    [['--port'], '--port needs a value'],
    [['--config='], '--config needs a value'],
    [['--port', 'abc'], '--port must be 0-65535, got "abc"'],
    [['--port', '70000'], '--port must be 0-65535, got "70000"'],
    [['--log-level', 'loud'], '--log-level must be one of error, warn, info, debug, got "loud"'],
    [['--log-level=INFO'], '--log-level must be one of error, warn, info, debug, got "INFO"'],
    [['--workers', '0'], '--workers must be a number or "auto"'],
    [['keys'], 'usage: keys create NAME'],
    [['keys', 'delete', 'bob'], 'usage: keys create NAME'],
    [['keys', 'create', 'bad name'], 'key name must be 1-64 letters, digits, ".", "_" or "-"'],
  ])('rejects %j with a one-line message', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(CliError);
    expect(() => parseCli(argv)).toThrow(message);
    expect(message).not.toContain('\n');
  });

  it('parses keys create NAME', () => {
    expect(parseCli(['keys', 'create', 'alice'])).toEqual({ kind: 'keys-create', name: 'alice' });
  });
});
