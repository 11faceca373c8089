import twilio from 'twilio'

type RequestOptions<TData> = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0] & { data?: TData }

const TWILIO_API_ORIGIN = 'https://api.twilio.com'
// A hung Twilio request must not hold a caller on the line.
const REQUEST_TIMEOUT_MS = 10_000

/**
 * The official SDK always calls https://api.twilio.com. When TWILIO_API_BASE_URL names another
 * server (a local one speaking Twilio's REST API, in tests), requests are sent there instead.
 */
export class RedirectingRequestClient extends twilio.RequestClient {
  readonly #origin: string
  readonly #onError: ((kind: string) => void) | undefined
  constructor(origin: string, options: ConstructorParameters<typeof twilio.RequestClient>[0], onError?: (kind: string) => void) {
    super(options)
    this.#origin = origin
    this.#onError = onError
  }
  override request<TData>(options: RequestOptions<TData>) {
    const uri = options.uri.startsWith(TWILIO_API_ORIGIN) ? `${this.#origin}${options.uri.slice(TWILIO_API_ORIGIN.length)}` : options.uri
    const sent = super.request<TData>({ ...options, uri })
    const onError = this.#onError
    if (!onError) return sent
    return sent.then(
      (response) => {
        if (response.statusCode >= 400) onError(`http_${Math.floor(response.statusCode / 100)}xx`)
        return response
      },
      (error: unknown) => {
        onError('network')
        throw error
      },
    )
  }
}

export type TwilioClient = ReturnType<typeof twilio>

/** A Twilio REST client for the account; null when no account SID is configured. `onError` hears of each failed request (for metrics). */
export function createTwilioClient(settings: { accountSid: string | null; authToken: string | null; apiBaseUrl: string }, onError?: (kind: string) => void): TwilioClient | null {
  if (!settings.accountSid || !settings.authToken) return null
  // autoRetry retries 429s only, with jittered backoff; 5xx surface at once.
  const options = { autoRetry: true, maxRetries: 2, timeout: REQUEST_TIMEOUT_MS }
  if (settings.apiBaseUrl === TWILIO_API_ORIGIN && !onError) return twilio(settings.accountSid, settings.authToken, options)
  // The SDK ignores these options once it is given an httpClient, so that client carries them.
  return twilio(settings.accountSid, settings.authToken, { httpClient: new RedirectingRequestClient(settings.apiBaseUrl, options, onError) })
}
