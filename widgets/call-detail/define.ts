import { defineElement } from '../core/define.ts'
import { CallDetailElement } from './call-detail.element.ts'

defineElement('call-detail', CallDetailElement)
