/**
 * Who may see the dashboard. `cord ui` asks the daemon (with the control API's bearer token) for a
 * one-time login token; opening `/ui/login?token=…` redeems it for a session cookie (HttpOnly,
 * SameSite=Strict, Path=/ui). Tokens expire after 5 minutes and work once; sessions last 12 hours
 * and end with the daemon. Everything is in memory: a restarted daemon knows no session.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'

/** How long a login token can be redeemed. */
export const UI_TOKEN_TTL_MS = 5 * 60_000
/** How long a dashboard session lasts. */
export const UI_SESSION_TTL_MS = 12 * 3_600_000
/** The session cookie's name. */
export const UI_COOKIE = 'cord_ui'
/** Most tokens and sessions held at once: the oldest go first. */
const MAX_ENTRIES = 64

/** Login tokens and sessions of the dashboard. */
export class UiAuth {
  private readonly tokens = new Map<string, number>()
  private readonly sessions = new Map<string, number>()

  /** A new one-time login token. */
  issue(now = Date.now()): string {
    const token = randomBytes(32).toString('base64url')
    remember(this.tokens, token, now + UI_TOKEN_TTL_MS, now)
    return token
  }

  /** Redeems a login token: a new session ID, or undefined when it is unknown, used or expired. */
  redeem(token: string, now = Date.now()): string | undefined {
    const expires = this.tokens.get(token)
    if (expires == null) return undefined
    this.tokens.delete(token) // once, whether or not it is still valid
    if (expires <= now) return undefined
    const session = randomBytes(32).toString('base64url')
    remember(this.sessions, session, now + UI_SESSION_TTL_MS, now)
    return session
  }

  /** Whether the request's `Cookie` header carries a live session. */
  check(cookieHeader: string | undefined, now = Date.now()): boolean {
    const given = cookieValue(cookieHeader, UI_COOKIE)
    if (given == null) return false
    for (const [session, expires] of this.sessions) {
      if (expires > now && sameText(session, given)) return true
    }
    return false
  }

  /** The `Set-Cookie` header of a session. */
  static cookie(session: string): string {
    const maxAge = Math.floor(UI_SESSION_TTL_MS / 1000)
    return `${UI_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/ui; Max-Age=${maxAge}`
  }
}

/** Adds an entry, dropping expired ones and, past the bound, the oldest. */
function remember(map: Map<string, number>, key: string, expires: number, now: number): void {
  for (const [k, e] of map) if (e <= now) map.delete(k)
  while (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string)
  map.set(key, expires)
}

/** The value of cookie `name` in a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
