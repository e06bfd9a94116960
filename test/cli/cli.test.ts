/**
 * `kiq` as a whole: help texts, exit codes and one-line errors (unknown
 * command or option, bad, unreachable or silent Redis). The executable runs
 * as a child process; the per-command help and argument checks, where only
 * the text matters, run through the same `runCli` in-process to keep the
 * suite fast.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import { commands } from '../../src/cli/commands/index.js';
import { describeRun, runInProcess, runKiqMany } from './support.js';

describe('kiq CLI: help, exit codes and errors', () => {
  it('as a process: --help, unknown command, unknown option, bad URL, unreachable and silent Redis', async () => {
    // a TCP server that accepts and never answers: connecting must give up after 2 s
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      const [help, command, option, badUrl, unreachable, mute] = await runKiqMany(
        [
          ['--help'],
          ['stat'],
          ['stats', '--jsn'],
          ['stats', '--redis-url', 'http://user:hunter2@example.com'],
          ['stats', '--redis-url', 'redis://:hunter2@127.0.0.1:1/0'],
          ['queues'],
        ],
        { redisUrl: `redis://127.0.0.1:${silentPort}/2` },
        6,
      );
      expect(help!.code, describeRun(help!)).to.equal(0);
      for (const name of Object.keys(commands)) expect(help!.stdout).to.match(new RegExp(`^  ${name} `, 'm'));
      expect(help!.stdout).to.match(/^Exit codes:\n  0  ok\n  1  runtime failure.*\n  2  usage error.*\n  3  not found/m);

      expect(command!.code).to.equal(2);
      expect(command!.stderr).to.equal("kiq: unknown command 'stat' (did you mean 'stats'?); see 'kiq --help'\n");
      expect(option!.code).to.equal(2);
      expect(option!.stderr).to.equal("kiq stats: unknown option --jsn (did you mean --json?); see 'kiq stats --help'\n");

      expect(badUrl!.code).to.equal(2);
      expect(badUrl!.stderr).to.match(/^kiq stats: bad Redis URL "http:\/\/user:\*\*\*@example.com\/?": unsupported scheme "http" \(expected redis:\/\//);
      expect(unreachable!.code, describeRun(unreachable!)).to.equal(1);
      expect(unreachable!.stderr).to.equal('kiq stats: cannot reach Redis at redis://:***@127.0.0.1:1/0: connection refused (is redis-server running on that host and port?)\n');
      expect(mute!.code, describeRun(mute!)).to.equal(1);
      expect(mute!.stderr).to.equal(`kiq queues: cannot reach Redis at redis://127.0.0.1:${silentPort}/2: timed out after 2 s\n`);
      expect(mute!.ms).to.be.below(15_000);
      for (const result of [command, option, badUrl, unreachable, mute]) {
        expect(result!.stdout).to.equal('');
        expect(result!.stderr.trimEnd().split('\n'), 'one line').to.have.length(1);
        expect(result!.stderr).not.to.include('hunter2');
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('every command has --help (exit 0, usage on stdout, even with a bad URL)', async () => {
    for (const name of Object.keys(commands)) {
      for (const args of [[name, '--help', '--redis-url', 'nope'], [name, '-h'], ['help', name], ['--json', name, '--help']]) {
        const result = await runInProcess(args, { redisUrl: 'nope' });
        expect(result.code, `${args.join(' ')}: ${describeRun(result)}`).to.equal(0);
        expect(result.stdout, args.join(' ')).to.match(new RegExp(`^Usage: kiq ${name}\\b`));
        expect(result.stderr, args.join(' ')).to.equal('');
      }
    }
  });

  it('kiq alone prints the usage on stderr and exits 2; --version and help work anywhere', async () => {
    const none = await runInProcess([]);
    expect(none.code).to.equal(2);
    expect(none.stdout).to.equal('');
    expect(none.stderr).to.include('Usage: kiq <command>');
    const version = await runInProcess(['--version']);
    expect(version.code).to.equal(0);
    expect(version.stdout).to.match(/^\d+\.\d+\.\d+\S*\n$/);
    const help = await runInProcess(['help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.equal(none.stderr);
    const unknownTopic = await runInProcess(['help', 'retires']);
    expect(unknownTopic.code).to.equal(2);
    expect(unknownTopic.stderr).to.include("unknown command 'retires' (did you mean 'retries'?)");
  });

  it('argument errors exit 2 with one line, before touching Redis', async () => {
    const cases: [string[], RegExp][] = [
      [['--jsn', 'stats'], /^kiq: unknown option --jsn \(did you mean --json\?\)/],
      [['--redis-url'], /^kiq: option --redis-url needs a value/],
      [['stats', 'extra'], /^kiq stats: unexpected argument 'extra'/],
      [['retries', 'lst'], /^kiq retries: unknown action 'lst' \(did you mean 'list'\?\)/],
      [['retries', 'list', '--limit'], /^kiq retries: option --limit needs a value/],
      [['retries', 'list', '--limit', 'x'], /^kiq retries: option --limit expects a whole number, got 'x'/],
      [['dead', 'show'], /^kiq dead: missing jid: kiq dead show <jid>/],
      [['dead', 'retry', 'abc', '--all'], /^kiq dead: give a jid or --all, not both/],
      [['scheduled', 'delete'], /^kiq scheduled: missing jid: kiq scheduled delete <jid> or --all/],
      [['retries', 'show', 'x', '--all'], /^kiq retries: --all is for 'retry', 'kill' and 'delete', not 'show'/],
      [['dead', 'kill', 'x'], /^kiq dead: unknown action 'kill'.*; actions: list, show, retry, delete;/],
      [['queue'], /^kiq queue: missing action: kiq queue clear\|pause\|unpause <name>/],
      [['queue', 'pase', 'x'], /^kiq queue: unknown action 'pase' \(did you mean 'pause'\?\)/],
      [['queue', 'unpause'], /^kiq queue: missing queue name: kiq queue unpause <name>/],
      [['queue', 'clean', 'x'], /^kiq queue: unknown action 'clean' \(did you mean 'clear'\?\)/],
      [['queue', 'clear'], /^kiq queue: missing queue name/],
      [['quiet'], /^kiq quiet: missing process: kiq quiet <identity> or kiq quiet --all/],
      [['stop', 'a', '--all'], /^kiq stop: give identities or --all, not both/],
      [['enqueue'], /^kiq enqueue: missing class/],
      [['enqueue', 'W', '[1', '--json'], /^kiq enqueue: bad args JSON: /],
      [['enqueue', 'W', '{"a":1}'], /^kiq enqueue: args must be a JSON array, e\.g\. '\[1, "two"\]', got: \{"a":1\}/],
      [['enqueue', 'W', '[1]', '2'], /^kiq enqueue: unexpected argument '2' \(quote the args JSON as one argument\)/],
      [['enqueue', 'W', '--in', '5x'], /^kiq enqueue: option --in expects a duration such as 1500, 30s, 5m, got '5x'/],
      [['enqueue', 'W', '--at', 'tomorrow'], /^kiq enqueue: option --at expects an ISO 8601 time/],
      [['enqueue', 'W', '--in', '5s', '--at', '2030-01-01T00:00:00Z'], /^kiq enqueue: give --in or --at, not both/],
      [['enqueue', 'W', '--count', '0'], /^kiq enqueue: option --count expects a whole number >= 1, got '0'/],
      [['enqueue', 'W', '--retry', 'maybe'], /^kiq enqueue: option --retry expects a whole number, true or false, got 'maybe'/],
      [['work'], /^kiq work: missing worker module: kiq work -r <module>/],
      [['work', '-r', 'x.js', '-q', 'a:0'], /^kiq work: option --queue: concurrency of 'a' must be at least 1, got 0/],
      [['work', '-r', 'x.js', '--timeout', 'soon'], /^kiq work: option --timeout expects seconds/],
    ];
    for (const [args, pattern] of cases) {
      const result = await runInProcess(args, { redisUrl: 'redis://127.0.0.1:1' });
      expect(result.code, `${args.join(' ')}: ${describeRun(result)}`).to.equal(2);
      expect(result.stderr, args.join(' ')).to.match(pattern);
      expect(result.stderr.trimEnd().split('\n'), `${args.join(' ')}: one line`).to.have.length(1);
      expect(result.stdout, args.join(' ')).to.equal('');
    }
  });
});
