import { defineElement } from '../core/define.ts'
import { AgentSettingsElement } from './agent-settings.element.ts'

export const agentSettingsTag = defineElement('agent-settings', AgentSettingsElement)
