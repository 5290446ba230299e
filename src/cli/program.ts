/**
 * The `cord` command line: parses arguments with commander, runs a command, and turns every failure
 * into a message on stderr and an exit code that says what failed (see exit-codes.ts).
 *
 * Commands are imported when they run, not before: the commands that only talk to a running daemon
 * (`id`, `peers`, `tools`, `call`, `find`, `status`, `connect`, `disconnect`, `publish`, `subscribe`,
 * `send`, `messages`, `topics`, `mcp`, `ui`) load the control
 * client and nothing of libp2p, the settings schema or the logger, so they start about as fast as
 * `node` itself; so does `logs`, which reads the log files itself. `start` and `init` load the rest. A guard test (test/e2e/cli-load.test.ts) keeps it so.
 */
import { Command, CommanderError, InvalidArgumentError as InvalidOptionError, Option } from 'commander'
import {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_SEND_TIMEOUT_MS,
  DEFINITION_HASH_PATTERN,
  DIAL_TIMEOUT_MS,
  FIND_TIMEOUT_MS,
  LOG_FORMATS,
  LOG_LEVELS,
  VERSION,
} from '../constants.ts'
import { CordError } from '../errors.ts'
import { EXIT, exitCodeOf } from './exit-codes.ts'
import type { Output } from './output.ts'

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidOptionError('expected a positive whole number of milliseconds.')
  return n
}

function positiveCount(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidOptionError('expected a positive whole number.')
  return n
}

function definitionHash(value: string): string {
  if (!DEFINITION_HASH_PATTERN.test(value))
    throw new InvalidOptionError('expected a definition hash: 64 hex digits.')
  return value
}

const collect = (value: string, previous: string[]): string[] => [...previous, value]

/**
 * Checks the flags of `start` and `init` that the settings schema checks in config.toml (listen and
 * bootstrap addresses, alias) with the same field validators; loaded only for those two commands.
 */
async function checkNodeFlags(cmd: Command): Promise<void> {
  const fields = await import('../config/fields.ts')
  const checks: Array<[flag: string, schema: typeof fields.alias, values: unknown]> = [
    ['--listen <multiaddr>', fields.listenAddr, cmd.opts().listen],
    ['--bootstrap <multiaddr>', fields.peerAddr, cmd.opts().bootstrap],
    ['--alias <name>', fields.alias, cmd.opts().alias],
  ]
  for (const [flag, schema, values] of checks) {
    for (const value of [values ?? []].flat() as string[]) {
      const result = schema.safeParse(value)
      if (!result.success) {
        const why = result.error.issues[0]?.message ?? 'invalid value'
        cmd.error(`error: option '${flag}' argument '${value}' is invalid. ${why}.`, {
          exitCode: EXIT.usage,
          code: 'commander.invalidArgument',
        })
      }
    }
  }
}

const dirOption = (): Option => new Option('--dir <dir>', 'data directory (default: $CORD_HOME or ~/.cord)')
const jsonOption = (): Option => new Option('--json', 'print JSON for scripts')

/** The one line printed after a usage error: where to read the usage. */
const usageHint = (cmd: Command): string =>
  `(run 'cord${cmd.parent != null ? ` ${cmd.name()}` : ''} --help' for usage)`

/** Builds the program. `run` sets the exit code of commands that decide their own. */
export function buildProgram(io: Output, setExit: (code: number) => void): Command {
  const program = new Command('cord')
    .description('A peer-to-peer mesh for AI agents and their MCP tools, on libp2p.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
  program.showHelpAfterError(usageHint(program))
  /** A subcommand whose usage errors print one line and a hint, not the whole help. */
  const command = (name: string): Command => {
    const cmd = program.command(name)
    return cmd.showHelpAfterError(usageHint(cmd))
  }

  command('init')
    .description('create a data directory: config.toml and identity key')
    .addOption(dirOption())
    .option('--alias <name>', "this node's short name")
    .option('--psk', 'also create a private network key, <dir>/swarm.key (copy it to the other nodes)')
    .addOption(jsonOption())
    .hook('preAction', checkNodeFlags)
    .action(async (opts) => (await import('./commands/init.ts')).initCommand(opts, io))

  command('start')
    .description('run a node in the foreground until SIGINT or SIGTERM')
    .addOption(dirOption())
    .option('--config <file>', 'config file (default: <dir>/config.toml)')
    .option(
      '--listen <multiaddr>',
      'listen address, repeatable (default: /ip4/0.0.0.0/tcp/4001)',
      collect,
      [],
    )
    .option(
      '--bootstrap <multiaddr>',
      'full address of a node to join, with /p2p/<id>; repeatable',
      collect,
      [],
    )
    .option('--alias <name>', "this node's short name (default: host name)")
    .option('--relay', 'serve as a circuit relay for nodes behind NAT (config: [relay] server = true)')
    .addOption(
      new Option('--log-level <level>', 'log level (logs go to stderr and <dir>/logs/)').choices(LOG_LEVELS),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        'stderr log format: auto (readable on a terminal, JSON otherwise)',
      ).choices(LOG_FORMATS),
    )
    .addOption(jsonOption())
    .hook('preAction', checkNodeFlags)
    .action(async (opts) => setExit(await (await import('./commands/start.ts')).startCommand(opts, io)))

  command('id')
    .description("this node's peer ID, alias and listen addresses")
    .addOption(dirOption())
    .addOption(jsonOption())
    .action(async (opts) => (await import('./commands/query.ts')).idCommand(opts, io))

  command('peers')
    .description('known peers: ID, alias, state, addresses, whether kept connected')
    .addOption(dirOption())
    .addOption(jsonOption())
    .action(async (opts) => (await import('./commands/query.ts')).peersCommand(opts, io))

  command('tools')
    .description("the mesh catalog (every tool with its providers), or one peer's tools")
    .argument('[peer]', 'peer ID, alias, or full multiaddr ending in /p2p/<peer ID>')
    .addOption(dirOption())
    .option('--timeout <ms>', 'how long to wait for the peer', positiveInt)
    .addOption(jsonOption())
    .action(async (peer, opts) => (await import('./commands/query.ts')).toolsCommand(peer, opts, io))

  command('call')
    .description(
      'call a tool: on a peer (by peer ID, alias or multiaddr), or on any live provider (by tool name alone)',
    )
    .usage('[options] [target] <tool> [args_json]')
    .argument(
      '<words...>',
      '[target] tool [args_json]: target is a peer ID, alias or full multiaddr (/.../p2p/<peer ID>); args_json a JSON object, or - for stdin',
    )
    .addOption(dirOption())
    .option(
      '--timeout <ms>',
      `deadline of the call (default: the node's call_timeout_ms, ${DEFAULT_CALL_TIMEOUT_MS})`,
      positiveInt,
    )
    .option(
      '--pin <hash>',
      'refuse the call if the tool\'s definition hash (cord tools --json: _meta["cord/definitionHash"]) changed',
      definitionHash,
    )
    .option('--json', 'print the whole MCP CallToolResult')
    .action(async (words: string[], opts, cmd: Command) => {
      if (words.length > 3)
        cmd.error(`error: too many arguments (${words.length}); expected [target] tool [args_json]`, {
          exitCode: EXIT.usage,
          code: 'cord.usage',
        })
      setExit(await (await import('./commands/call.ts')).callCommand(words, opts, io))
    })

  command('connect')
    .description('join the running daemon to another node (like ipfs swarm connect)')
    .argument('<multiaddr>', 'full address of the node, ending in /p2p/<peer ID>')
    .addOption(dirOption())
    .option('--keep', 'keep it connected: redial whenever the connection drops, as for bootstrap peers')
    .option('--timeout <ms>', `how long to try (default: ${DIAL_TIMEOUT_MS})`, positiveInt)
    .addOption(jsonOption())
    .action(async (addr, opts) => (await import('./commands/join.ts')).connectCommand(addr, opts, io))

  command('disconnect')
    .description('hang up on a peer and stop keeping it connected')
    .argument('<peer>', 'peer ID or full multiaddr ending in /p2p/<peer ID>')
    .addOption(dirOption())
    .addOption(jsonOption())
    .action(async (peer, opts) => (await import('./commands/join.ts')).disconnectCommand(peer, opts, io))

  command('find')
    .description('providers of a tool, from the DHT')
    .argument('<tool>', 'tool name')
    .addOption(dirOption())
    .option('--timeout <ms>', `how long to look (default: ${FIND_TIMEOUT_MS})`, positiveInt)
    .addOption(jsonOption())
    .action(async (tool, opts) => (await import('./commands/query.ts')).findCommand(tool, opts, io))

  command('publish')
    .description('publish a message (any JSON value) on a topic, signed by this node')
    .argument('<topic>', 'topic name: letters, digits, ".", "-", "_" and "/", at most 128')
    .argument('<json>', 'the message: a JSON value such as \'{"task":42}\', or - for stdin')
    .addOption(dirOption())
    .addOption(jsonOption())
    .action(async (topic, data, opts) =>
      (await import('./commands/topics.ts')).publishCommand(topic, data, opts, io),
    )

  command('subscribe')
    .description("print a topic's messages, one line each (and gaps), until Ctrl+C")
    .argument('<topic>', 'topic name')
    .addOption(dirOption())
    .option('--json', 'print one JSON object per line: {"type":"message",…} or {"type":"gap",…}')
    .action(async (topic, opts) =>
      setExit(await (await import('./commands/topics.ts')).subscribeCommand(topic, opts, io)),
    )

  command('send')
    .description('send a direct message (any JSON value) to a peer and wait for its acknowledgement')
    .argument('<target>', 'peer ID, alias, or full multiaddr ending in /p2p/<peer ID>')
    .argument('<json>', 'the message: a JSON value, or - for stdin')
    .addOption(dirOption())
    .option(
      '--timeout <ms>',
      `deadline of delivery and acknowledgement (default: ${DEFAULT_SEND_TIMEOUT_MS})`,
      positiveInt,
    )
    .addOption(jsonOption())
    .action(async (target, data, opts) =>
      (await import('./commands/topics.ts')).sendCommand(target, data, opts, io),
    )

  command('messages')
    .description('print the direct messages sent to this node, one line each, until Ctrl+C')
    .addOption(dirOption())
    .option('--json', 'print one JSON object per line')
    .action(async (opts) => setExit(await (await import('./commands/topics.ts')).messagesCommand(opts, io)))

  command('topics')
    .description('topics this node and its connected peers subscribe to, with subscriber counts')
    .addOption(dirOption())
    .addOption(jsonOption())
    .action(async (opts) => (await import('./commands/topics.ts')).topicsCommand(opts, io))

  command('mcp')
    .description(
      "a stdio MCP server for local agents: the whole mesh's tools, resources and prompts, through this dir's running daemon",
    )
    .addOption(dirOption())
    .action(async (opts) => setExit(await (await import('./commands/mcp.ts')).mcpCommand(opts)))

  command('ui')
    .description("a one-time login link to the daemon's web dashboard (peers, mesh graph, tools, calls)")
    .addOption(dirOption())
    .option('--open', 'also open it in the browser (xdg-open, or open on macOS)')
    .option('--json', 'print {"url": …}')
    .action(async (opts) => (await import('./commands/ui.ts')).uiCommand(opts, io))
  command('logs')
    .description(
      "the daemon's log (<dir>/logs/, oldest first) as readable lines; works whether it runs or not",
    )
    .addOption(dirOption())
    .option('-f, --follow', 'keep printing new lines as the daemon writes them, until Ctrl+C')
    .addOption(
      new Option('--level <level>', 'only lines at this level or above').choices(
        LOG_LEVELS.filter((l) => l !== 'silent'),
      ),
    )
    .option('-n, --lines <count>', 'only the last <count> lines (then new ones with --follow)', positiveCount)
    .option('--json', 'print the JSON lines as the daemon wrote them')
    .action(async (opts) => setExit(await (await import('./commands/logs.ts')).logsCommand(opts, io)))

  command('status')
    .description("the daemon's state: connections, sessions, calls in flight")
    .addOption(dirOption())
    .addOption(jsonOption())
    .action(async (opts) => (await import('./commands/query.ts')).statusCommand(opts, io))

  return program
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function run(argv: string[], io: Output): Promise<number> {
  let code: number = EXIT.ok
  const program = buildProgram(io, (c) => {
    code = c
  })
  let running: Command = program
  program.hook('preAction', (_program, cmd) => {
    running = cmd
  })
  if (argv.length === 0) {
    program.outputHelp({ error: true })
    return EXIT.usage
  }
  try {
    await program.parseAsync(argv, { from: 'user' })
    return code
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage
    }
    if (err instanceof CordError) {
      io.err(`error: ${err.message}`)
      // a wrong argument found by the command or the daemon: point at the usage, as commander does
      if (err.kind === 'usage') io.err(usageHint(running))
      return exitCodeOf(err.kind)
    }
    io.err(`error: ${(err as Error)?.stack ?? String(err)}`)
    return EXIT.error
  }
}
