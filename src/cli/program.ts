/**
 * The `cord` command line: parses arguments with commander, runs a command, and turns every failure
 * into a message on stderr and an exit code that says what failed (see exit-codes.ts).
 */
import { Command, CommanderError, InvalidArgumentError as InvalidOptionError, Option } from 'commander'
import { z } from 'zod'
import { alias, listenAddr, peerAddr } from '../config/fields.ts'
import { DEFAULT_CALL_TIMEOUT_MS, DEFINITION_HASH_PATTERN, FIND_TIMEOUT_MS, VERSION } from '../constants.ts'
import { CordError } from '../errors.ts'
import { LOG_LEVELS } from '../logger.ts'
import { callCommand } from './commands/call.ts'
import { initCommand } from './commands/init.ts'
import { mcpCommand } from './commands/mcp.ts'
import { findCommand, idCommand, peersCommand, statusCommand, toolsCommand } from './commands/query.ts'
import { startCommand } from './commands/start.ts'
import { EXIT, exitCodeOf } from './exit-codes.ts'
import type { Output } from './output.ts'

/** A repeatable option whose every value must pass `schema` (the same check as in config.toml). */
function collectValid(schema: z.ZodType<string>): (value: string, previous: string[]) => string[] {
  return (value, previous) => [...previous, valid(schema)(value)]
}

/** An option value that must pass `schema`; commander prints the usage on failure. */
function valid(schema: z.ZodType<string>): (value: string) => string {
  return (value) => {
    const result = schema.safeParse(value)
    if (!result.success)
      throw new InvalidOptionError(`${result.error.issues[0]?.message ?? 'invalid value'}.`)
    return result.data
  }
}

function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidOptionError('expected a positive whole number of milliseconds.')
  return n
}

const dirOption = (): Option => new Option('--dir <dir>', 'data directory (default: $CORD_HOME or ~/.cord)')
const jsonOption = (): Option => new Option('--json', 'print JSON for scripts')

/** Builds the program. `run` sets the exit code of commands that decide their own. */
export function buildProgram(io: Output, setExit: (code: number) => void): Command {
  const program = new Command('cord')
    .description('A peer-to-peer mesh for AI agents and their MCP tools, on libp2p.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })

  program
    .command('init')
    .description('create a data directory: config.toml and identity key')
    .addOption(dirOption())
    .option('--alias <name>', "this node's short name", valid(alias))
    .option('--psk', 'also create a private network key, <dir>/swarm.key (copy it to the other nodes)')
    .addOption(jsonOption())
    .action((opts) => initCommand(opts, io))

  program
    .command('start')
    .description('run a node in the foreground until SIGINT or SIGTERM')
    .addOption(dirOption())
    .option('--config <file>', 'config file (default: <dir>/config.toml)')
    .option(
      '--listen <multiaddr>',
      'listen address, repeatable (default: /ip4/0.0.0.0/tcp/4001)',
      collectValid(listenAddr),
      [],
    )
    .option(
      '--bootstrap <multiaddr>',
      'full address of a node to join, with /p2p/<id>; repeatable',
      collectValid(peerAddr),
      [],
    )
    .option('--alias <name>', "this node's short name (default: host name)", valid(alias))
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS))
    .addOption(jsonOption())
    .action(async (opts) => setExit(await startCommand(opts, io)))

  program
    .command('id')
    .description("this node's peer ID, alias and listen addresses")
    .addOption(dirOption())
    .addOption(jsonOption())
    .action((opts) => idCommand(opts, io))

  program
    .command('peers')
    .description('known peers: ID, alias, state, addresses')
    .addOption(dirOption())
    .addOption(jsonOption())
    .action((opts) => peersCommand(opts, io))

  program
    .command('tools')
    .description("the mesh catalog (every tool with its providers), or one peer's tools")
    .argument('[peer]', 'peer ID or alias')
    .addOption(dirOption())
    .option('--timeout <ms>', 'how long to wait for the peer', positiveInt)
    .addOption(jsonOption())
    .action((peer, opts) => toolsCommand(peer, opts, io))

  program
    .command('call')
    .description('call a tool: on a peer (by peer ID or alias), or on any live provider (by tool name alone)')
    .usage('[options] [target] <tool> [args_json]')
    .argument(
      '<words...>',
      '[target] tool [args_json]: target is a peer ID or alias; args_json a JSON object, or - for stdin',
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
      valid(z.string().regex(DEFINITION_HASH_PATTERN, 'expected a definition hash: 64 hex digits')),
    )
    .option('--json', 'print the whole MCP CallToolResult')
    .action(async (words: string[], opts, cmd: Command) => {
      if (words.length > 3)
        cmd.error(`error: too many arguments (${words.length}); expected [target] tool [args_json]`, {
          exitCode: EXIT.usage,
          code: 'cord.usage',
        })
      try {
        setExit(await callCommand(words, opts, io))
      } catch (err) {
        if (err instanceof CordError && err.kind === 'usage') {
          cmd.error(`error: ${err.message}`, { exitCode: EXIT.usage, code: 'cord.usage' })
        }
        throw err
      }
    })

  program
    .command('find')
    .description('providers of a tool, from the DHT')
    .argument('<tool>', 'tool name')
    .addOption(dirOption())
    .option('--timeout <ms>', `how long to look (default: ${FIND_TIMEOUT_MS})`, positiveInt)
    .addOption(jsonOption())
    .action((tool, opts) => findCommand(tool, opts, io))

  program
    .command('mcp')
    .description(
      "a stdio MCP server for local agents: the whole mesh's tools, resources and prompts, through this dir's running daemon",
    )
    .addOption(dirOption())
    .action(async (opts) => setExit(await mcpCommand(opts)))

  program
    .command('status')
    .description("the daemon's state: connections, sessions, calls in flight")
    .addOption(dirOption())
    .addOption(jsonOption())
    .action((opts) => statusCommand(opts, io))

  return program
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function run(argv: string[], io: Output): Promise<number> {
  let code: number = EXIT.ok
  const program = buildProgram(io, (c) => {
    code = c
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
      return exitCodeOf(err.kind)
    }
    io.err(`error: ${(err as Error)?.stack ?? String(err)}`)
    return EXIT.error
  }
}
