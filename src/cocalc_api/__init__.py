"""cocalc_api"""
