import { describe, expect, it } from 'vitest'
import { atLeast, formatLine, formatRecord, LEVEL_NUMBERS, parseRecord } from '../../../src/log/format.ts'

// 2026-01-02 03:04:05.006 in local time, whatever the test machine's zone
const TIME = new Date(2026, 0, 2, 3, 4, 5, 6).getTime()

describe('readable log lines', () => {
  it('puts time, level, part and message first, then peer, tool and call, then the other fields', () => {
    const line = formatRecord({
      level: 40,
      time: TIME,
      node: 'Wq3',
      part: 'router',
      call: 'c1',
      tool: 'echo',
      peer: '12D3KooWabc',
      msg: 'call refused',
      reason: 'rate limit',
      n: 3,
      addrs: ['/ip4/1.2.3.4/tcp/1'],
    })
    expect(line).toBe(
      '03:04:05.006 WARN  [router] call refused  peer=12D3KooWabc tool=echo call=c1 node=Wq3 reason="rate limit" n=3 addrs=["/ip4/1.2.3.4/tcp/1"]',
    )
  })

  it('shows the date when asked, and nothing of pid or hostname', () => {
    const line = formatRecord({ level: 30, time: TIME, pid: 1, hostname: 'h', msg: 'hi' }, { date: true })
    expect(line).toBe('2026-01-02 03:04:05.006 INFO  hi')
  })

  it("writes an error's stack indented under its line", () => {
    const err = { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (x.js:1:1)' }
    expect(formatRecord({ level: 50, time: TIME, msg: 'failed', err })).toBe(
      '03:04:05.006 ERROR failed\n    Error: boom\n    at f (x.js:1:1)',
    )
  })

  it('keeps an error given as a message on the line, as a field', () => {
    expect(formatRecord({ level: 40, time: TIME, msg: 'did not start', err: 'spawn x ENOENT' })).toBe(
      '03:04:05.006 WARN  did not start  err="spawn x ENOENT"',
    )
  })

  it('colours only when asked', () => {
    expect(formatRecord({ level: 30, time: TIME, msg: 'x' }, { color: true })).toContain('\u001b[32mINFO')
    expect(formatRecord({ level: 30, time: TIME, msg: 'x' })).not.toContain('\u001b[')
  })

  it('keeps a line that is not a JSON object as it is', () => {
    expect(formatLine('not json')).toBe('not json')
    expect(formatLine('{"broken"')).toBe('{"broken"')
    expect(parseRecord('[1,2]')).toBeUndefined()
  })
})

describe('level filter', () => {
  it('passes records at the level or above, and records without a level', () => {
    const warn = LEVEL_NUMBERS.warn ?? 0
    expect(atLeast({ level: 40 }, warn)).toBe(true)
    expect(atLeast({ level: 50 }, warn)).toBe(true)
    expect(atLeast({ level: 30 }, warn)).toBe(false)
    expect(atLeast({ msg: 'no level' }, warn)).toBe(true)
  })
})
