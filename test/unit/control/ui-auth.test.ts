/** Dashboard sign-in: one-time, expiring login tokens and session cookies. */
import { describe, expect, it } from 'vitest'
import {
  cookieValue,
  UI_COOKIE,
  UI_SESSION_TTL_MS,
  UI_TOKEN_TTL_MS,
  UiAuth,
} from '../../../src/control/ui-auth.ts'

describe('dashboard auth', () => {
  it('redeems a login token once, for a session the cookie then carries', () => {
    const auth = new UiAuth()
    const token = auth.issue(0)
    const session = auth.redeem(token, 1_000)
    expect(session).toMatch(/^[\w-]{43}$/)
    expect(auth.redeem(token, 1_001)).toBeUndefined()
    expect(auth.check(`other=1; ${UI_COOKIE}=${session}`, 2_000)).toBe(true)
    expect(auth.check(`${UI_COOKIE}=${session}x`, 2_000)).toBe(false)
    expect(auth.check(undefined, 2_000)).toBe(false)
    expect(auth.check(`${UI_COOKIE}=${session}`, 1_000 + UI_SESSION_TTL_MS)).toBe(false)
  })

  it('refuses an expired or unknown token', () => {
    const auth = new UiAuth()
    const token = auth.issue(0)
    expect(auth.redeem(token, UI_TOKEN_TTL_MS)).toBeUndefined()
    expect(auth.redeem('made-up', 0)).toBeUndefined()
    expect(auth.redeem('', 0)).toBeUndefined()
  })

  it('sets an HttpOnly, SameSite=Strict cookie on /ui', () => {
    const cookie = UiAuth.cookie('abc')
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).toContain('Path=/ui')
    expect(cookieValue(cookie, UI_COOKIE)).toBe('abc')
  })

  it('holds a bounded number of tokens: the oldest go first', () => {
    const auth = new UiAuth()
    const first = auth.issue(0)
    for (let i = 0; i < 100; i++) auth.issue(0)
    expect(auth.redeem(first, 1)).toBeUndefined()
    expect(auth.redeem(auth.issue(0), 1)).toBeDefined()
  })
})
