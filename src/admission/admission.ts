/**
 * Admission of incoming MCP calls at the serving node: access rules, rate and concurrency limits,
 * pinned definitions and the call's deadline, checked in that order before the handler runs.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import type { ResolvedNodeSettings } from '../config/schema.ts'
import { AccessDeniedError, ToolChangedError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { callIdOf } from '../observability/call-id.ts'
import { AccessPolicy } from './acl.ts'
import { CallLimiter } from './limits.ts'
import { definitionHash, PIN_META } from './pin.ts'

/** `_meta` key of a call request that carries the caller's deadline, in ms from when it was sent. */
export const DEADLINE_META = 'cord/timeoutMs'

/** What admission control is built from. */
export interface AdmissionInit {
  policy: AccessPolicy
  limiter: CallLimiter
  /** The longest a handler may run, whatever deadline the caller sends (or when it sends none). */
  maxCallTimeoutMs: number
}

/** An admitted call: end it with `release()`; abort the handler when `deadlineMs` passes. */
export interface Admitted {
  release: () => void
  deadlineMs: number
}

/** Admission control of one node. */
export class Admission {
  readonly policy: AccessPolicy
  readonly limiter: CallLimiter
  private readonly maxCallTimeoutMs: number
  private readonly log: Logger
  private readonly refused = { access: 0, pin: 0 }

  /** Admission control as a node's resolved options describe it. */
  static fromOptions(
    options: Pick<ResolvedNodeSettings, 'access' | 'limits' | 'mcp'>,
    log: Logger,
  ): Admission {
    return new Admission(
      {
        policy: new AccessPolicy(options.access.rules, options.access.default),
        limiter: new CallLimiter(options.limits),
        maxCallTimeoutMs: options.mcp.maxCallTimeoutMs,
      },
      log,
    )
  }

  constructor(init: AdmissionInit, log: Logger) {
    this.policy = init.policy
    this.limiter = init.limiter
    this.maxCallTimeoutMs = init.maxCallTimeoutMs
    this.log = log
  }

  /** Calls refused so far, by reason: access rules, rate, concurrency limits, a changed pinned definition. */
  refusals(): { access: number; rate: number; concurrency: number; pin: number } {
    return { ...this.refused, ...this.limiter.refused }
  }

  /** The tools `caller` may see. */
  visible(caller: string, tools: Tool[]): Tool[] {
    return this.policy.open ? tools : tools.filter((t) => this.policy.allows(caller, t.name))
  }

  /** Admits a call of `tool` (its definition here, if it has one) by `caller`, or throws why not. */
  admitCall(
    caller: string,
    name: string,
    tool: Tool | undefined,
    meta: Record<string, unknown> | undefined,
  ): Admitted {
    if (!this.policy.allows(caller, name)) {
      this.refused.access++
      this.log.warn({ peer: caller, tool: name, call: callIdOf(meta) }, 'call refused by the access rules')
      throw new AccessDeniedError(
        `refused: the access rules of this node do not let peer ${caller} call "${name}"`,
      )
    }
    const pin = meta?.[PIN_META]
    if (typeof pin === 'string' && tool != null) {
      const now = definitionHash(tool)
      if (now !== pin) {
        this.refused.pin++
        this.log.warn(
          { peer: caller, tool: name, call: callIdOf(meta), pinned: pin, now },
          'call refused: pinned tool definition changed',
        )
        throw new ToolChangedError(
          `refused: the definition of "${name}" changed since it was pinned (pinned ${pin.slice(0, 12)}…, now ${now.slice(0, 12)}…); review it and pin again`,
        )
      }
    }
    let release: () => void
    try {
      release = this.limiter.acquire(caller)
    } catch (err) {
      this.log.debug(
        { peer: caller, tool: name, call: callIdOf(meta), err: (err as Error).message },
        'call refused by a limit',
      )
      throw err
    }
    const asked = meta?.[DEADLINE_META]
    const deadlineMs =
      typeof asked === 'number' && Number.isFinite(asked) && asked > 0
        ? Math.min(asked, this.maxCallTimeoutMs)
        : this.maxCallTimeoutMs
    return { release, deadlineMs }
  }
}
