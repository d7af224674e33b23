"""The synthetic demo universe: market, funds, the house's methodology and ratings, reviews, the tiny model's corpus."""
