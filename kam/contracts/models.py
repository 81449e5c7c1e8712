"""Contracts, obligations, renewals, referral clause."""
