//! Field rules shared by every way in.
