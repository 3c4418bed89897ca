//! Importers that build a draft election package from published lists (2024 Pakistan candidate
//! lists, Form-45 station results) and a separate station-coordinates file.
