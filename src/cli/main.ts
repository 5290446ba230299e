#!/usr/bin/env node
/**
 * The `cord` executable. Checks the Node.js version before loading anything that needs a newer one,
 * so that an old Node gets a plain message instead of a stack trace deep inside libp2p.
 */
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `cord needs Node.js 22.12 or newer; this is ${process.version}.\n` +
      'From a clone of cord-mesh, `npm install` brings Node 24 along: run cord as `npx cord ...` or through `npm start`.\n',
  )
  process.exit(1)
}

const { run } = await import('./program.ts')
const { stdio } = await import('./output.ts')
const code = await run(process.argv.slice(2), stdio)
process.exitCode = code
// Let stdout drain, but do not let a stray handle keep a finished command alive.
setTimeout(() => process.exit(code), 1_000).unref()
