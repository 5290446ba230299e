/**
 * Builds the dashboard into dist/ui/: the page (ui/index.html), its script and its styles bundled
 * by esbuild with uPlot and d3-force, so the page needs nothing from the internet. Run by
 * `npm run build` after tsc.
 */
import { copyFile, mkdir } from 'node:fs/promises'
import { build } from 'esbuild'

const out = 'dist/ui'
await mkdir(out, { recursive: true })
await build({
  entryPoints: { app: 'ui/src/main.ts' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2022',
  outdir: out,
  legalComments: 'linked',
  logLevel: 'warning',
})
await copyFile('ui/index.html', `${out}/index.html`)
