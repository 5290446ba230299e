/** Small promise helpers shared by the parts. */
import { setTimeout as sleep } from 'node:timers/promises'

/** Waits until every promise settles, or `ms` passes, whichever is first. */
export async function settleWithin(promises: Array<Promise<unknown>>, ms: number): Promise<void> {
  if (promises.length === 0) return
  const done = new AbortController()
  await Promise.race([
    Promise.allSettled(promises),
    sleep(ms, undefined, { signal: done.signal }).catch(() => {}),
  ])
  done.abort()
}

/** Settles like `promise`, or rejects with the signal's reason when it aborts first. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/**
 * Lets pending notification handlers of the MCP SDK run. The SDK runs a notification's handler one
 * microtask after delivery but handles a response at once, and forgets a request's progress handler
 * when its response arrives: a transport that delivers a progress notification and then the response
 * in one go loses the last progress update. Transports wait this long after delivering a notification.
 */
export function afterNotificationHandlers(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
