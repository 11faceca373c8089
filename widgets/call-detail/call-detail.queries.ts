/** What the call detail asks the api. */

export interface TranscriptSegment {
  seq: number
  speaker: 'CALLER' | 'AGENT' | 'SYSTEM'
  text: string
  startedMs: number
}

export interface TranscriptPage {
  nodes: TranscriptSegment[]
  pageInfo: { hasNextPage: boolean; endCursor: string | null }
}

export interface ConsentRecord {
  decision: string
  method: string | null
  attempts: number
  decidedAt: string | null
  withdrawnAt: string | null
}

export interface CallLead {
  id: string
  name: string | null
  phone: string | null
  email: string | null
  reason: string | null
  status: string
  temperature: string | null
  needsReview: boolean
}

export interface CallDetail {
  id: string
  fromNumber: string
  startedAt: string
  durationSeconds: number | null
  status: string
  escalated: boolean
  outcome: string | null
  summary: string | null
  recordingUrl: string | null
  consent: ConsentRecord | null
  lead: CallLead | null
  transcript: TranscriptPage
}

export interface CallDetailData {
  // Not a Call (another type's id) comes back as an object without the Call fields.
  node: (Partial<CallDetail> & { __typename: string }) | null
}

export interface TranscriptData {
  node: { transcript?: TranscriptPage } | null
}

/** The api's largest page. */
export const TRANSCRIPT_PAGE = 100

const TRANSCRIPT_FIELDS = `nodes { seq speaker text startedMs } pageInfo { hasNextPage endCursor }`

export const CALL_DETAIL_QUERY = `
  query CallDetail($id: ID!, $first: Int!) {
    node(id: $id) {
      __typename
      ... on Call {
        id fromNumber startedAt durationSeconds status escalated outcome summary recordingUrl
        consent { decision method attempts decidedAt withdrawnAt }
        lead { id name phone email reason status temperature needsReview }
        transcript(first: $first) { ${TRANSCRIPT_FIELDS} }
      }
    }
  }`

export const TRANSCRIPT_QUERY = `
  query CallDetailTranscript($id: ID!, $first: Int!, $after: String) {
    node(id: $id) {
      ... on Call { transcript(first: $first, after: $after) { ${TRANSCRIPT_FIELDS} } }
    }
  }`

export interface RecordingData {
  node: { recordingUrl?: string | null } | null
}

export const RECORDING_QUERY = `
  query CallDetailRecording($id: ID!) {
    node(id: $id) { ... on Call { recordingUrl } }
  }`
