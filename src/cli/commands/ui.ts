/** `cord ui`: a one-time login link to the daemon's dashboard, printed or opened in the browser. */
import { spawn } from 'node:child_process'
import { json, type Output } from '../output.ts'
import { type DirOption, daemon } from './daemon-client.ts'

/** Options of `cord ui`. */
export interface UiOptions extends DirOption {
  json?: boolean
  open?: boolean
}

/** Asks the daemon for a login link; prints it, and with `--open` opens it. */
export async function uiCommand(options: UiOptions, io: Output): Promise<void> {
  const { url } = await (await daemon(options)).request<{ url: string }>('POST', '/v1/ui/login', {})
  if (options.json === true) io.out(json({ url }))
  else io.out(`${url}\n(the link works once, for 5 minutes; the browser then keeps a session for 12 hours)`)
  if (options.open === true) openInBrowser(url, io)
}

/** Opens `url` with the desktop's opener (`open` on macOS, `xdg-open` elsewhere), not waiting for it. */
function openInBrowser(url: string, io: Output): void {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open'
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true })
  child.on('error', (err) => io.err(`could not run ${opener} (${err.message}): open the link by hand`))
  child.unref()
}
