"""Rules of the pricing family (PRC): prices that are old, contradicted in the body, or incomplete."""
