import { BaseModel } from './base.model.ts'

/** One saved version of a business's agent; the highest version is the one calls use. */
export class AgentConfig extends BaseModel {
  static override tableName = 'agent_configs'
  static override jsonAttributes = ['services', 'workingHours', 'captureFields', 'escalationRules']
  declare id: string
  declare businessId: string
  declare version: number
  declare language: string
  declare voice: string
  declare greeting: string
  declare disclosureText: string
  declare consentPrompt: string
  declare consentMaxAttempts: number
  declare systemPrompt: string
  declare knowledge: string
  declare services: string[]
  declare workingHours: Record<string, Array<{ open: string; close: string }>>
  declare afterHoursBehavior: 'answer' | 'take_message' | 'forward'
  declare captureFields: Array<{ key: string; label: string; type: string; required: boolean; options?: string[] }>
  declare escalationRules: Record<string, unknown>
  declare forwardingNumber: string | null
  declare staffFirstSeconds: number | null
  declare outOfMinutesBehavior: 'refuse' | 'forward' | 'take_message'
  declare recordingEnabled: boolean
}
