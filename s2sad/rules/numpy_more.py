"""Reverse and forward rules for NumPy beyond the core (numpy_rules.py): the rest of the
elementwise family, cumulative reductions, shape operations, products, linear algebra
and selection."""
