"""Text analysis of Chinese reviews: pure Python, no Django. Services store its results."""
