/**
 * End to end, in a real browser: three CLI daemons, and Debian's chromium (driven by playwright-core)
 * on the dashboard of one of them. The login link works once; without its cookie the page and its
 * API answer 401; the peers table lists the other two by alias; the graph shows the link between
 * them (known only from their heartbeats); a killed daemon turns suspect or dead on the page within
 * the configured intervals; `echo` called from the form shows its result. A screenshot goes to
 * test-results/ for people to look at.
 */
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cordOk, type RunningDaemon, startDaemon } from '../helpers/cli.ts'

const CHROMIUM = '/usr/bin/chromium'
const unavailable = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`
const SHOTS = fileURLToPath(new URL('../../test-results/', import.meta.url))
const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']

/** The daemons' discovery settings, and how soon the page must show a change of state. */
const INTERVAL_MS = 300
const SUSPECT_AFTER = 2
const DEAD_AFTER = 4
/** The page's event stream pushes every second (src/control/ui-server.ts). */
const PUSH_MS = 1_000
/** Silent for `suspect_after` intervals, noticed at the next tick, pushed, drawn; plus slack for a loaded machine. */
const SUSPECT_DEADLINE_MS = (SUSPECT_AFTER + 1) * INTERVAL_MS + 2 * PUSH_MS + 3_000

describe.skipIf(unavailable != null)('the dashboard, in chromium', () => {
  let root: string
  let browser: Browser
  let page: Page
  const d: Record<string, RunningDaemon> = {}
  const dir = (name: string): string => join(root, name)
  const loginUrl = async (name: string): Promise<string> =>
    (JSON.parse((await cordOk(['ui', '--dir', dir(name), '--json'])).stdout) as { url: string }).url
  const row = (alias: string): string => `#peers tbody tr[data-alias="${alias}"]`

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cord-e2e-ui-'))
    for (const name of ['a', 'b', 'c']) {
      await mkdir(dir(name), { recursive: true })
      await writeFile(
        join(dir(name), 'config.toml'),
        `alias = "${name}"\n[discovery]\nheartbeat_interval_ms = ${INTERVAL_MS}\nsuspect_after = ${SUSPECT_AFTER}\ndead_after = ${DEAD_AFTER}\n`,
      )
    }
    d.a = await startDaemon(['--dir', dir('a'), ...LOOPBACK])
    const boot = ['--bootstrap', d.a.info.addrs[0]!]
    const [b, c] = await Promise.all(
      ['b', 'c'].map((n) => startDaemon(['--dir', dir(n), ...LOOPBACK, ...boot])),
    )
    d.b = b!
    d.c = c!
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await Promise.all(Object.values(d).map((x) => x.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  })

  it('answers 401 without a session, and the login link works once', async () => {
    const base = d.a!.info.control
    const page401 = await fetch(`${base}/ui/`)
    expect(page401.status).toBe(401)
    expect(await page401.text()).toContain('cord ui')
    const api401 = await fetch(`${base}/ui/api/state`)
    expect(api401.status).toBe(401)
    expect(((await api401.json()) as { error: { name: string } }).error.name).toBe('UnauthorizedError')
    expect((await fetch(`${base}/ui/api/call`, { method: 'POST', body: '{"tool":"echo"}' })).status).toBe(401)

    const url = await loginUrl('a')
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } })
    const landed = await page.goto(url)
    expect(landed?.status()).toBe(200)
    expect(new URL(page.url()).pathname).toBe('/ui/')
    const cookie = (await page.context().cookies()).find((c) => c.name === 'cord_ui')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui' })

    // The same link again, in a browser without the cookie: refused.
    const other = await browser.newContext()
    const again = await (await other.newPage()).goto(url)
    expect(again?.status()).toBe(401)
    await other.close()
  })

  it('lists the other two nodes by alias, and draws the link between them', async () => {
    await page.waitForSelector(`${row('b')}[data-state="alive"]`, { timeout: 30_000 })
    await page.waitForSelector(`${row('c')}[data-state="alive"]`, { timeout: 30_000 })
    expect(await page.locator('#self-title + dl').textContent()).toContain(d.a!.info.peerId)
    // a's own links are a–b and a–c; b–c is known only from b's and c's heartbeats.
    await page.waitForSelector('#graph svg[aria-label="Mesh graph: 3 nodes, 3 known connections"]', {
      timeout: 30_000,
    })
  })

  it('calls echo from the form and shows the result', async () => {
    await page.waitForSelector('#call-tool option[value="echo"]', { state: 'attached' })
    await page.selectOption('#call-tool', 'echo')
    await page.fill('#call-args', '{"text": "hello from chromium"}')
    // Keyboard only: focus the button and press Enter.
    await page.focus('#call button[type=submit]')
    await page.keyboard.press('Enter')
    await page.waitForFunction(
      () => document.querySelector('#call-output')?.textContent?.includes('hello from chromium') === true,
    )
    expect(await page.getAttribute('#call-output', 'class')).toBe('ok')

    // Arguments that are not JSON: said so, next to the field.
    await page.fill('#call-args', '{text: oops')
    await page.click('#call button[type=submit]')
    await page.waitForSelector('#call-output.error')
    expect(await page.textContent('#call-output')).toContain('not a JSON object')
    expect(await page.getAttribute('#call-args', 'aria-invalid')).toBe('true')

    // The call shows in the charts' window, and the page for people to look at.
    await page.waitForFunction(() =>
      /\b[1-9]\d* calls in the last minute/.test(
        document.querySelector('#rate-chart')?.getAttribute('aria-label') ?? '',
      ),
    )
    await mkdir(SHOTS, { recursive: true })
    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true })
  })

  it('shows a killed daemon as suspect or dead within the configured intervals', async () => {
    await d.c!.stop('SIGKILL')
    const killed = Date.now()
    await page.waitForSelector(`${row('c')}[data-state="suspect"], ${row('c')}[data-state="dead"]`, {
      timeout: SUSPECT_DEADLINE_MS,
    })
    const ms = Date.now() - killed
    expect(ms).toBeLessThan(SUSPECT_DEADLINE_MS)
    expect(await page.getAttribute(row('b'), 'data-state')).toBe('alive')
    // Once dead, c's stale links go from the graph: only a–b is left.
    await page.waitForSelector(`${row('c')}[data-state="dead"]`, { timeout: SUSPECT_DEADLINE_MS })
    await page.waitForSelector('#graph svg[aria-label="Mesh graph: 3 nodes, 1 known connections"]', {
      timeout: SUSPECT_DEADLINE_MS,
    })
    await page.screenshot({ path: join(SHOTS, 'dashboard-peer-down.png'), fullPage: true })
  })
})

if (unavailable != null) {
  describe('the dashboard, in chromium', () => {
    it.skip(`not run: ${unavailable}`, () => {})
  })
}
