//! The AWS emulator (moto) and the resources the template declares in it.
