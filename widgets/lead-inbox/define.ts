import { defineElement } from '../core/define.ts'
import { LeadInbox } from './lead-inbox.element.ts'

defineElement('lead-inbox', LeadInbox)
