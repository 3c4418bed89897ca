//! The tallyseal server (see ARCHITECTURE.md). Intake, storage and portal arrive with issue 3.
