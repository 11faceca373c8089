import { defineElement } from '../core/define.ts'
import { UsageMeter } from './usage-meter.element.ts'

defineElement('usage-meter', UsageMeter)
