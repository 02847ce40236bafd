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
    [['--llmrouter-api-key-env', 'MY_ROUTER_KEY'], { apiKeyEnv: 'MY_ROUTER_KEY' }],
    // The Go original's flags: one dash or two, "-flag value" or "-flag=value".
    [['-config', 'my.json'], { config: 'my.json' }],
    [['-config=my.json'], { config: 'my.json' }],
    [['-port', '8080'], { port: 8080 }],
    [['-port=8080'], { port: 8080 }],
    [['-log-level', 'debug'], { logLevel: 'debug' }],
    [['-log-level=warn'], { logLevel: 'warn' }],
    [['-llmrouter-api-key', 'rsk_abc'], { apiKey: 'rsk_abc' }],
    [['-llmrouter-api-key=rsk_a=b'], { apiKey: 'rsk_a=b' }],
    [['-llmrouter-api-key-env', 'MY_KEY'], { apiKeyEnv: 'MY_KEY' }],
    [['-llmrouter-api-key-env=MY_KEY'], { apiKeyEnv: 'MY_KEY' }],
    [['--llmrouter-api-key-env=MY_KEY'], { apiKeyEnv: 'MY_KEY' }],
    [['-llmrouter-api-key', '-starts-with-dash'], { apiKey: '-starts-with-dash' }],
    [
      ['-config', 'c.json', '--port=1', '-host', '::1', '-log-level=error'],
      { config: 'c.json', port: 1, host: '::1', logLevel: 'error' },
    ],
    [
      ['--config', 'c.json', '--port=1', '--host', '::1', '--log-level', 'error'],
      { config: 'c.json', port: 1, host: '::1', logLevel: 'error' },
    ],
  ])('parses %j', (argv, options) => {
    expect(parseCli(argv)).toEqual({ kind: 'serve', options });
  });

  it.each([['--help'], ['-h'], ['-help'], ['--port', '1', '--help']])('%j asks for help', (...argv) => {
    expect(parseCli(argv)).toEqual({ kind: 'help' });
  });

  it('lists every flag of the Go original in the help', () => {
    for (const flag of ['--config FILE', '--port N', '--log-level LEVEL', '--llmrouter-api-key KEY', '--llmrouter-api-key-env NAME']) {
      expect(USAGE).toContain(flag);
    }
    expect(USAGE).toContain('one or two dashes');
  });

  it.each([
    [['--verbose'], 'unknown option: --verbose (see --help)'],
    [['--verbose=1'], 'unknown option: --verbose (see --help)'],
    [['-verbose'], 'unknown option: -verbose (see --help)'],
    [['---config', 'x'], 'unknown option: ---config (see --help)'],
    [['-port', 'abc'], '--port must be 0-65535, got "abc"'],
    [['-llmrouter-api-key-env', 'NOT A NAME'], '--llmrouter-api-key-env must be a variable name, got "NOT A NAME"'],
    [['-config'], '--config needs a value'],
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
