/** How the business's screens present themselves: its white-label agency's brand, or Answerline's name. */
export interface Branding {
  productName: string
  colorBrand: string | null
  logoUrl: string | null
}
