import { defineElement } from '../core/define.ts'
import { CallLogElement } from './call-log.element.ts'

defineElement('call-log', CallLogElement)
